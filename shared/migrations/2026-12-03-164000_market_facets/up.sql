-- Market (issue 12): bulk imports (a list of product page addresses, each imported by a job,
-- with per-address state kept so the progress page survives restarts), and an index for the
-- home page's price-range facet (a product is in range when one of its variants is).

CREATE TABLE market_imports (
    id          BIGSERIAL PRIMARY KEY,
    stall_id    BIGINT NOT NULL REFERENCES stalls(id) ON DELETE CASCADE,
    created_by  BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE market_import_items (
    id          BIGSERIAL PRIMARY KEY,
    import_id   BIGINT NOT NULL REFERENCES market_imports(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    url         TEXT NOT NULL,
    -- queued: its job has not finished; done: saved as a draft; failed: `error` says why.
    state       TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'failed')),
    error       TEXT,
    product_id  BIGINT REFERENCES products(id) ON DELETE SET NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (import_id, position)
);

CREATE INDEX market_variants_price ON product_variants (price_cents, product_id);

-- The weighted search document stored with each product (title > tags > description), so a
-- search that must also look at every title for near spellings (pg_trgm) does not rebuild
-- three tsvectors per row; it replaces the expression index over the same document.
ALTER TABLE products ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, title), 'A') ||
    setweight(to_tsvector('english'::regconfig, market_tags_text(tags)), 'B') ||
    setweight(to_tsvector('english'::regconfig, description), 'C')
) STORED;
CREATE INDEX products_search_document_idx ON products USING GIN (search_document);
DROP INDEX products_search_idx;
