-- A declaration request for a prepared NA patient with a parent declaration (no SMS, no documents),
-- each patient once.
local bench = dofile("bench/wrk/common.lua")
local employee = os.getenv("BENCH_EMPLOYEE_ID")
local record
bench.install({ [201] = true }, function()
  local patient, parent = record():match("([^,]+),([^,]+)")
  local body = '{"person_id": "' .. patient .. '", "employee_id": "' .. employee .. '", "parent_declaration_id": "' .. parent .. '"}'
  return wrk.format("POST", "/api/v3/declaration_requests", bench.headers(), body)
end, function() record = bench.cycle(bench.records("BENCH_RECORDS")) end)
