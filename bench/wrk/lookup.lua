-- Whether a phone was ever verified: random phones, nearly all never seen (404).
local bench = dofile("bench/wrk/common.lua")
local phone
bench.install({ [200] = true, [404] = true }, function()
  return wrk.format("GET", "/api/verifications/" .. phone(), bench.headers())
end, function() phone = bench.phones() end)
