-- POST /api/verifications: a code for a phone that never had one in this run.
local bench = dofile("bench/wrk/common.lua")
local phone
bench.install(nil, function()
  return wrk.format("POST", "/api/verifications", bench.headers(), '{"phone_number": "' .. phone() .. '"}')
end, function() phone = bench.phones() end)
