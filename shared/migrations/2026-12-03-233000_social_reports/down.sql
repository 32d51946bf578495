DROP TABLE social_reports;
