CREATE INDEX products_search_idx ON products USING GIN ((
    setweight(to_tsvector('english'::regconfig, title), 'A') ||
    setweight(to_tsvector('english'::regconfig, market_tags_text(tags)), 'B') ||
    setweight(to_tsvector('english'::regconfig, description), 'C')
));
DROP INDEX IF EXISTS products_search_document_idx;
ALTER TABLE products DROP COLUMN IF EXISTS search_document;
DROP INDEX IF EXISTS market_variants_price;
DROP TABLE IF EXISTS market_import_items;
DROP TABLE IF EXISTS market_imports;
