DROP TABLE post_authors;
