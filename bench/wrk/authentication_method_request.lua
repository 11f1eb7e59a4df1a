-- An authentication-method request (INSERT of an OTP method) for a prepared person confirmed by OTP:
-- a code to the person's phone, each person once.
local bench = dofile("bench/wrk/common.lua")
local person, phone
bench.install({ [201] = true }, function()
  local body = '{"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "' .. phone() .. '"}}'
  return wrk.format("POST", "/api/persons/" .. person() .. "/authentication_method_requests", bench.headers(), body)
end, function()
  person = bench.cycle(bench.records("BENCH_RECORDS"))
  phone = bench.phones()
end)
