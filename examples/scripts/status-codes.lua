-- wrk script for external-check.sh: counts responses by HTTP status code in every thread and prints the
-- totals, with wrk's own socket error counts, when the run ends. wrk never retries a request.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   status_counts = {}
end

function response(status, headers, body)
   status_counts[status] = (status_counts[status] or 0) + 1
end

function done(summary, latency, requests)
   local totals = {}
   local codes = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("status_counts")) do
         if totals[status] == nil then
            table.insert(codes, status)
            totals[status] = 0
         end
         totals[status] = totals[status] + count
      end
   end
   table.sort(codes)
   local line = "status codes:"
   local non2xx = 0
   for _, status in ipairs(codes) do
      line = line .. string.format(" %d=%d", status, totals[status])
      if status < 200 or status > 299 then
         non2xx = non2xx + totals[status]
      end
   end
   print(line)
   local errors = summary.errors
   print(string.format("socket errors: connect=%d read=%d write=%d timeout=%d",
         errors.connect, errors.read, errors.write, errors.timeout))
   print(string.format("WRK requests=%d non2xx=%d socket_errors=%d", summary.requests, non2xx,
         errors.connect + errors.read + errors.write + errors.timeout))
end
