-- An authentication-method request (INSERT of an OTP method) for a prepared person confirmed by OTP:
-- a code to the person's phone, each person once; the new phone is one the clinic verified (prepared).
local bench = dofile("bench/wrk/common.lua")
local record
bench.install({ [201] = true }, function()
  local person, phone = record():match("([^,]+),([^,]+)")
  local body = '{"action": "INSERT", "authentication_method": {"type": "OTP", "phone_number": "' .. phone .. '"}}'
  return wrk.format("POST", "/api/persons/" .. person .. "/authentication_method_requests", bench.headers(), body)
end, function() record = bench.cycle(bench.records("BENCH_RECORDS")) end)
