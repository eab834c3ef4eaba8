-- Top 10 error types (HTTP status >= 400) of this iteration, by region, browser and domain.
-- Reads Apache vhost_combined lines (see templates/kiter/weblog.j2) from the stream.
SET kinesis.checkpoint.enabled=true;
SET kinesis.checkpoint.metastore.table.name=MyEMRKinesisTable;
SET kinesis.checkpoint.metastore.hash.key.name=HashKey;
SET kinesis.checkpoint.metastore.range.key.name=RangeKey;
SET kinesis.checkpoint.metastore.hash.range.name=RangeKey;
SET kinesis.checkpoint.logical.name=top-errors-staged;
SET kinesis.checkpoint.iteration.no=7;
SET kinesis.rerun.iteration.without.wait=false;

CREATE EXTERNAL TABLE IF NOT EXISTS weblogs_top_errors_staged (
  domain STRING,
  client STRING,
  ident STRING,
  authuser STRING,
  request_time STRING,
  request STRING,
  status STRING,
  bytes STRING,
  referer STRING,
  agent STRING,
  region STRING
)
PARTITIONED BY (iteration INT)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
WITH SERDEPROPERTIES (
  "input.regex" = "^([^ :]+)(?::[0-9]+)? ([^ ]*) ([^ ]*) ([^ ]*) \\[([^\\]]*)\\] \"([^\"]*)\" ([0-9]{3}) ([^ ]*) \"([^\"]*)\" \"([^\"]*)\" ?([^ ]*)$"
)
STORED AS TEXTFILE
LOCATION 's3://kiter-staging/iterations/top-errors-staged';

ALTER TABLE weblogs_top_errors_staged ADD IF NOT EXISTS PARTITION (iteration=7)
LOCATION 's3://kiter-staging/iterations/top-errors-staged/iteration=7';

SELECT region, browser, domain, status, COUNT(*) AS errors
FROM (
  SELECT region,
         CASE
           WHEN agent LIKE '%bot%' OR agent LIKE '%spider%' OR agent LIKE '%crawl%' THEN 'Bot'
           WHEN agent LIKE '%Edg/%' THEN 'Edge'
           WHEN agent LIKE '%OPR/%' THEN 'Opera'
           WHEN agent LIKE '%Chrome/%' THEN 'Chrome'
           WHEN agent LIKE '%Firefox/%' THEN 'Firefox'
           WHEN agent LIKE '%Safari/%' THEN 'Safari'
           WHEN agent LIKE '%MSIE %' OR agent LIKE '%Trident/%' THEN 'Internet Explorer'
           WHEN agent LIKE 'curl/%' OR agent LIKE 'python-requests/%' THEN 'Script'
           ELSE 'Other'
         END AS browser,
         domain,
         CAST(status AS INT) AS status
  FROM weblogs_top_errors_staged
  WHERE iteration = 7
    AND CAST(status AS INT) >= 400
) failed_requests
GROUP BY region, browser, domain, status
ORDER BY errors DESC, region, browser, domain, status
LIMIT 10;
