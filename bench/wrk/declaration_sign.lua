-- Signing prepared APPROVED declaration requests (NA patients with a parent declaration, shared out over
-- the clinic's doctors), each once, with the CMS its doctor signed beforehand ("id,base64" a line; the
-- bench's development CA is the trusted one): the signature's check, the stored document, the
-- declaration's insert and the parent declaration's end.
local bench = dofile("bench/wrk/common.lua")
local record
bench.install({ [200] = true }, function()
  local id, signed = record():match("([^,]+),([^,]+)")
  local body = '{"signed_declaration_request": "' .. signed .. '", "signed_content_encoding": "base64"}'
  return wrk.format("PATCH", "/api/v3/declaration_requests/" .. id .. "/actions/sign", bench.headers(), body)
end, function() record = bench.cycle(bench.records("BENCH_RECORDS")) end)
