-- Ad-hoc interactive queries: load this iteration's web-log records into a Parquet table
-- partitioned by iteration number. Query it from Hive, Spark SQL, Presto/Trino or Impala;
-- Impala caches metadata, so run `REFRESH weblogs;` there after each iteration.
SET kinesis.checkpoint.enabled=true;
SET kinesis.checkpoint.metastore.table.name=MyEMRKinesisTable;
SET kinesis.checkpoint.metastore.hash.key.name=HashKey;
SET kinesis.checkpoint.metastore.range.key.name=RangeKey;
SET kinesis.checkpoint.metastore.hash.range.name=RangeKey;
SET kinesis.checkpoint.logical.name=weblogs;
SET kinesis.checkpoint.iteration.no=7;
SET kinesis.rerun.iteration.without.wait=false;

CREATE TABLE IF NOT EXISTS weblog_stream_weblogs (
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
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
WITH SERDEPROPERTIES (
  "input.regex" = "^([^ :]+)(?::[0-9]+)? ([^ ]*) ([^ ]*) ([^ ]*) \\[([^\\]]*)\\] \"([^\"]*)\" ([0-9]{3}) ([^ ]*) \"([^\"]*)\" \"([^\"]*)\" ?([^ ]*)$"
)
STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'
TBLPROPERTIES ("kinesis.stream.name"="AccessLogStream");

CREATE EXTERNAL TABLE IF NOT EXISTS weblogs (
  domain STRING,
  client STRING,
  request_time STRING,
  method STRING,
  path STRING,
  status INT,
  bytes BIGINT,
  referer STRING,
  agent STRING,
  region STRING
)
PARTITIONED BY (iteration INT)
STORED AS PARQUET
LOCATION 's3://kiter-warehouse/weblogs';

INSERT OVERWRITE TABLE weblogs PARTITION (iteration=7)
SELECT domain,
       client,
       request_time,
       split(request, ' ')[0] AS method,
       split(request, ' ')[1] AS path,
       CAST(status AS INT) AS status,
       CAST(CASE WHEN bytes = '-' THEN '0' ELSE bytes END AS BIGINT) AS bytes,
       referer,
       agent,
       region
FROM weblog_stream_weblogs
WHERE TRUE;

SELECT iteration, COUNT(*) AS records, SUM(bytes) AS bytes
FROM weblogs
WHERE iteration = 7
GROUP BY iteration;
