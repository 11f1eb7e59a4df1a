-- The peer: django-phone-verify's POST /api/phone/register (no auth), a new phone each time.
local bench = dofile("bench/wrk/common.lua")
local phone
bench.install(nil, function()
  return wrk.format("POST", "/api/phone/register", { ["Content-Type"] = "application/json" },
    '{"phone_number": "' .. phone() .. '"}')
end, function() phone = bench.phones() end)
