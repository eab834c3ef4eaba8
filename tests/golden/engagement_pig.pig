-- Customer engagement: this iteration's clickstream joined with ad-campaign data exported from
-- DynamoDB to S3 (tab-separated ad_id, category, campaign), ranking ad categories by click-through
-- rate on each site. Clickstream records: event_time, user_id, site, ad_id, action (view | click).
-- (The clickstream relation is not named `clicks`: inside the nested FOREACH, a relation's name
-- would be read as a scalar reference to it instead of the `clicks` column.)
SET kinesis.checkpoint.enabled true;
SET kinesis.checkpoint.metastore.table.name MyEMRKinesisTable;
SET kinesis.checkpoint.metastore.hash.key.name HashKey;
SET kinesis.checkpoint.metastore.range.key.name RangeKey;
SET kinesis.checkpoint.metastore.hash.range.name RangeKey;
SET kinesis.checkpoint.logical.name engagement-pig;
SET kinesis.checkpoint.iteration.no 7;
SET kinesis.rerun.iteration.without.wait false;

raw = LOAD 'ClickStream' USING com.amazon.emr.kinesis.pig.KinesisStreamLoader() AS (line:chararray);

clickstream = FOREACH raw GENERATE FLATTEN(STRSPLIT(line, '\t', 5))
         AS (event_time:chararray, user_id:chararray, site:chararray, ad_id:chararray, action:chararray);
campaigns = LOAD 's3://kiter-exports/campaigns/' USING PigStorage('\t')
            AS (ad_id:chararray, category:chararray, campaign:chararray);
joined = JOIN clickstream BY ad_id, campaigns BY ad_id;
events = FOREACH joined GENERATE clickstream::site AS site, campaigns::category AS category,
         (clickstream::action == 'view' ? 1 : 0) AS is_view, (clickstream::action == 'click' ? 1 : 0) AS is_click;
per_category = GROUP events BY (site, category);
rates = FOREACH per_category GENERATE FLATTEN(group) AS (site, category),
        SUM(events.is_view) AS views, SUM(events.is_click) AS clicks,
        (double) SUM(events.is_click) / (SUM(events.is_view) > 0 ? SUM(events.is_view) : 1) AS ctr;
per_site = GROUP rates BY site;
ranked = FOREACH per_site {
    ordered = ORDER rates BY ctr DESC, clicks DESC;
    best = LIMIT ordered 5;
    GENERATE FLATTEN(best);
};
rmf s3://kiter-out/engagement/iteration=7
STORE ranked INTO 's3://kiter-out/engagement/iteration=7' USING PigStorage('\t', '-schema');
