-- Click events as JSON records, joined with the day's campaigns.
ADD JAR /usr/lib/hive-hcatalog/share/hcatalog/hive-hcatalog-core.jar;
DROP TABLE IF EXISTS clicks;
CREATE EXTERNAL TABLE clicks (user_id STRING, ad_id STRING, action STRING)
COMMENT 'clickstream, one JSON object a record'
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'
TBLPROPERTIES ("kinesis.stream.name"="ClickStream", "owner"="marketing");
set kinesis.checkpoint.logical.name=clicks-daily; set kinesis.checkpoint.iteration.no=3;
SELECT ad_id, SUM(IF(action = 'click', 1, 0)) AS clicks FROM clicks GROUP BY ad_id;
