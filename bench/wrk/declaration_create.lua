-- A declaration request for a prepared NA patient (no SMS, no documents), each patient once.
local bench = dofile("bench/wrk/common.lua")
local employee = os.getenv("BENCH_EMPLOYEE_ID")
local patient
bench.install({ [201] = true }, function()
  local body = '{"person_id": "' .. patient() .. '", "employee_id": "' .. employee .. '"}'
  return wrk.format("POST", "/api/v3/declaration_requests", bench.headers(), body)
end, function() patient = bench.cycle(bench.records("BENCH_RECORDS")) end)
