-- One iteration over the access-log stream: errors by path into a partitioned table,
-- and a running count per host into DynamoDB.
SET hive.exec.dynamic.partition.mode=nonstrict;
SET kinesis.checkpoint.enabled=true;
SET kinesis.checkpoint.metastore.table.name=MyEMRKinesisTable;
SET kinesis.checkpoint.metastore.hash.key.name=HashKey;
SET kinesis.checkpoint.metastore.range.key.name=RangeKey;
SET kinesis.checkpoint.logical.name=access-log-errors;
SET kinesis.checkpoint.iteration.no=4;
SET kinesis.nodata.timeout=1;
ADD JAR s3://example-bucket/jars/hive-udfs.jar;

CREATE TABLE IF NOT EXISTS apachelog (
  host STRING, identity STRING, `user` STRING, request_time STRING, request STRING,
  status STRING, size STRING, referrer STRING, agent STRING, tags ARRAY<STRING>
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
WITH SERDEPROPERTIES (
  "input.regex" = "([^ ]*) ([^ ]*) ([^ ]*) (-|\\[[^\\]]*\\]) ([^ \"]*|\"[^\"]*\") (-|[0-9]*) (-|[0-9]*)(?: ([^ \"]*|\"[^\"]*\") ([^ \"]*|\"[^\"]*\"))?"
)
STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'
TBLPROPERTIES ("kinesis.stream.name" = "AccessLogStream");

CREATE EXTERNAL TABLE IF NOT EXISTS errors_by_path (path STRING, hits BIGINT)
PARTITIONED BY (iteration INT)
STORED AS PARQUET
LOCATION 's3://example-bucket/errors_by_path/';

CREATE EXTERNAL TABLE IF NOT EXISTS host_counts (host STRING, hits BIGINT)
STORED BY 'org.apache.hadoop.hive.dynamodb.DynamoDBStorageHandler'
TBLPROPERTIES ("dynamodb.table.name" = "HostCounts",
               "dynamodb.column.mapping" = "host:Host,hits:Hits");

INSERT OVERWRITE TABLE errors_by_path PARTITION (iteration=4)
SELECT regexp_extract(request, '^"\\S+ (\\S+)', 1) AS path, count(*) AS hits
FROM apachelog
WHERE status >= '400' AND request_time > '${hiveconf:since}'
GROUP BY regexp_extract(request, '^"\\S+ (\\S+)', 1);

INSERT OVERWRITE TABLE host_counts
SELECT host, count(*) FROM apachelog LATERAL VIEW explode(tags) t AS tag
WHERE tag <> 'bot' GROUP BY host;

ALTER TABLE errors_by_path ADD IF NOT EXISTS PARTITION (iteration=4)
  LOCATION 's3://example-bucket/errors_by_path/iteration=4/';
ALTER TABLE errors_by_path RECOVER PARTITIONS;
MSCK REPAIR TABLE errors_by_path;
SET -v;
