-- Top 10 error types (HTTP status >= 400) of this iteration, by region, browser and domain.
-- Reads Apache vhost_combined lines (see templates/kiter/weblog.j2); stores tab-separated rows
-- under <output>/iteration=<N>.
SET kinesis.checkpoint.enabled true;
SET kinesis.checkpoint.metastore.table.name MyEMRKinesisTable;
SET kinesis.checkpoint.metastore.hash.key.name HashKey;
SET kinesis.checkpoint.metastore.range.key.name RangeKey;
SET kinesis.checkpoint.metastore.hash.range.name RangeKey;
SET kinesis.checkpoint.logical.name top-errors-pig;
SET kinesis.checkpoint.iteration.no 7;
SET kinesis.rerun.iteration.without.wait false;

raw = LOAD 'AccessLogStream' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line:chararray);

parsed = FOREACH raw GENERATE FLATTEN(REGEX_EXTRACT_ALL(line, '^([^ :]+)(?::[0-9]+)? ([^ ]*) ([^ ]*) ([^ ]*) \\[([^\\]]*)\\] "([^"]*)" ([0-9]{3}) ([^ ]*) "([^"]*)" "([^"]*)" ?([^ ]*)$'))
         AS (domain:chararray, client:chararray, ident:chararray, authuser:chararray,
             request_time:chararray, request:chararray, status:chararray, bytes:chararray,
             referer:chararray, agent:chararray, region:chararray);
errors = FILTER parsed BY (int) status >= 400;
typed = FOREACH errors GENERATE region,
        ((agent MATCHES '.*(bot|spider|crawl).*') ? 'Bot' :
           ((agent MATCHES '.*Edg/.*') ? 'Edge' :
           ((agent MATCHES '.*OPR/.*') ? 'Opera' :
           ((agent MATCHES '.*Chrome/.*') ? 'Chrome' :
           ((agent MATCHES '.*Firefox/.*') ? 'Firefox' :
           ((agent MATCHES '.*Safari/.*') ? 'Safari' :
           ((agent MATCHES '.*(MSIE |Trident/).*') ? 'Internet Explorer' :
           ((agent MATCHES '^(curl|python-requests)/.*') ? 'Script' : 'Other')))))))) AS browser,
        domain, (int) status AS status;
grouped = GROUP typed BY (region, browser, domain, status);
counts = FOREACH grouped GENERATE FLATTEN(group) AS (region, browser, domain, status),
         COUNT(typed) AS errors;
ordered = ORDER counts BY errors DESC, region, browser, domain, status;
top10 = LIMIT ordered 10;
rmf s3://kiter-out/top-errors/iteration=7
STORE top10 INTO 's3://kiter-out/top-errors/iteration=7' USING PigStorage('\t', '-schema');
