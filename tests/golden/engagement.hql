-- Customer engagement: this iteration's clickstream joined with the ad campaigns kept in DynamoDB,
-- ranking ad categories by click-through rate on each site.
-- Clickstream records are tab-separated: event_time, user_id, site, ad_id, action (view | click).
SET kinesis.checkpoint.enabled=true;
SET kinesis.checkpoint.metastore.table.name=MyEMRKinesisTable;
SET kinesis.checkpoint.metastore.hash.key.name=HashKey;
SET kinesis.checkpoint.metastore.range.key.name=RangeKey;
SET kinesis.checkpoint.metastore.hash.range.name=RangeKey;
SET kinesis.checkpoint.logical.name=engagement;
SET kinesis.checkpoint.iteration.no=7;
SET kinesis.rerun.iteration.without.wait=false;

CREATE TABLE IF NOT EXISTS clickstream_engagement (
  event_time STRING,
  user_id STRING,
  site STRING,
  ad_id STRING,
  action STRING
)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t'
STORED BY 'com.amazon.emr.kinesis.hive.KinesisStorageHandler'
TBLPROPERTIES ("kinesis.stream.name"="ClickStream");

CREATE EXTERNAL TABLE IF NOT EXISTS ad_campaigns_engagement (
  ad_id STRING,
  category STRING,
  campaign STRING
)
STORED BY 'org.apache.hadoop.hive.dynamodb.DynamoDBStorageHandler'
TBLPROPERTIES (
  "dynamodb.table.name" = "AdCampaigns",
  "dynamodb.column.mapping" = "ad_id:AdId,category:Category,campaign:Campaign"
);

SELECT site, category, views, clicks, ctr, rank_on_site
FROM (
  SELECT site, category, views, clicks, ctr,
         RANK() OVER (PARTITION BY site ORDER BY ctr DESC, clicks DESC) AS rank_on_site
  FROM (
    SELECT c.site AS site,
           a.category AS category,
           SUM(CASE WHEN c.action = 'view' THEN 1 ELSE 0 END) AS views,
           SUM(CASE WHEN c.action = 'click' THEN 1 ELSE 0 END) AS clicks,
           ROUND(SUM(CASE WHEN c.action = 'click' THEN 1 ELSE 0 END)
                 / GREATEST(SUM(CASE WHEN c.action = 'view' THEN 1 ELSE 0 END), 1), 4) AS ctr
    FROM clickstream_engagement c
    JOIN ad_campaigns_engagement a ON c.ad_id = a.ad_id
    WHERE TRUE
    GROUP BY c.site, a.category
  ) per_category
) ranked
WHERE rank_on_site <= 5
ORDER BY site, rank_on_site, category;
