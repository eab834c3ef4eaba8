-- Customer engagement: this iteration's clickstream joined with the ad campaigns kept in DynamoDB,
-- ranking ad categories by click-through rate on each site.
-- Clickstream records are tab-separated: event_time, user_id, site, ad_id, action (view | click).
SET kinesis.checkpoint.enabled=true;
SET kinesis.checkpoint.metastore.table.name=MyEMRKinesisTable;
SET kinesis.checkpoint.metastore.hash.key.name=HashKey;
SET kinesis.checkpoint.metastore.range.key.name=RangeKey;
SET kinesis.checkpoint.metastore.hash.range.name=RangeKey;
SET kinesis.checkpoint.logical.name=engagement-staged;
SET kinesis.checkpoint.iteration.no=7;
SET kinesis.rerun.iteration.without.wait=false;

CREATE EXTERNAL TABLE IF NOT EXISTS clickstream_engagement_staged (
  event_time STRING,
  user_id STRING,
  site STRING,
  ad_id STRING,
  action STRING
)
PARTITIONED BY (iteration INT)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t'
STORED AS TEXTFILE
LOCATION 's3://kiter-staging/iterations/engagement-staged';

ALTER TABLE clickstream_engagement_staged ADD IF NOT EXISTS PARTITION (iteration=7)
LOCATION 's3://kiter-staging/iterations/engagement-staged/iteration=7';

-- Staged mode: kiter snapshots the campaign table with each iteration (a paginated scan).
CREATE EXTERNAL TABLE IF NOT EXISTS ad_campaigns_engagement_staged (
  ad_id STRING,
  category STRING,
  campaign STRING
)
PARTITIONED BY (iteration INT)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t'
STORED AS TEXTFILE
LOCATION 's3://kiter-staging/iterations/engagement-staged-campaigns';

ALTER TABLE ad_campaigns_engagement_staged ADD IF NOT EXISTS PARTITION (iteration=7)
LOCATION 's3://kiter-staging/iterations/engagement-staged-campaigns/iteration=7';

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
    FROM clickstream_engagement_staged c
    JOIN ad_campaigns_engagement_staged a ON c.ad_id = a.ad_id
    WHERE c.iteration = 7 AND a.iteration = 7
    GROUP BY c.site, a.category
  ) per_category
) ranked
WHERE rank_on_site <= 5
ORDER BY site, rank_on_site, category;
