DROP TABLE newsletter_campaign_recipients;
DROP TABLE newsletter_campaigns;
