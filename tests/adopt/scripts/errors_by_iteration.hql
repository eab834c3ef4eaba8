-- Errors of each iteration into a table partitioned by iteration, for interactive queries.
SET hive.exec.dynamic.partition.mode=nonstrict;

CREATE TABLE IF NOT EXISTS weblog_events (
  event_time STRING,
  site STRING,
  status INT,
  path STRING
)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t'
STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'
TBLPROPERTIES ("kinesis.stream.name" = "WebLogEvents");

CREATE EXTERNAL TABLE IF NOT EXISTS errors_by_iteration (site STRING, status INT, hits BIGINT)
PARTITIONED BY (iteration_no INT)
STORED AS TEXTFILE
LOCATION '${hiveconf:output}';

SET KINESIS.CHECKPOINT.ENABLED = TRUE;
SET kinesis.checkpoint.logical.name = weblog-errors;
SET hiveconf:kinesis.checkpoint.iteration.no = 12;
SET kinesis.nodata.timeout=2;
SET kinesis.rerun.iteration.without.wait=true;

INSERT OVERWRITE TABLE errors_by_iteration
PARTITION (iteration_no=${hiveconf:kinesis.checkpoint.iteration.no})
SELECT site, status, COUNT(*) AS hits
FROM weblog_events
WHERE status >= 400
GROUP BY site, status;
