-- Top 10 failing requests of one iteration of the access-log stream.
%default OUTPUT 's3://example-bucket/top10'

SET kinesis.checkpoint.enabled true;
SET kinesis.checkpoint.metastore.table.name 'MyEMRKinesisTable';
SET kinesis.checkpoint.metastore.hash.key.name HashKey;
SET kinesis.checkpoint.metastore.range.key.name RangeKey;
SET kinesis.checkpoint.logical.name 'top10-errors';
SET kinesis.checkpoint.iteration.no 4;
SET kinesis.rerun.iteration.without.wait true;
SET default_parallel 4;

/* One chararray per record: an Apache combined log line. */
raw_logs = LOAD 'AccessLogStream'
    USING com.amazon.emr.kinesis.pig.KinesisStreamLoader('kinesis.iteration.timeout=5')
    AS (line:chararray);

parsed = FOREACH raw_logs GENERATE FLATTEN(
    REGEX_EXTRACT_ALL(line, '^(\\S+) (\\S+) (\\S+) \\[([\\w:/]+\\s[+\\-]\\d{4})\\] "(\\S+) (\\S+) (\\S+)" (\\d{3}) (\\S+) "([^"]*)" "([^"]*)"')
) AS (host:chararray, ident:chararray, user:chararray, time:chararray, method:chararray,
      path:chararray, protocol:chararray, status:int, size:chararray, referrer:chararray,
      agent:chararray);

errors = FILTER parsed BY status >= 400 AND path IS NOT NULL;
by_path = GROUP errors BY (path, status);
counts = FOREACH by_path {
    hosts = DISTINCT errors.host;
    GENERATE FLATTEN(group) AS (path, status), COUNT(errors) AS hits, COUNT(hosts) AS clients;
}
ranked = ORDER counts BY hits DESC, path ASC;
top10 = LIMIT ranked 10;
STORE top10 INTO '$OUTPUT/iteration=4' USING PigStorage('\t');
