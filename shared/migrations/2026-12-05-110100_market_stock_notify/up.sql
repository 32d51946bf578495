-- Stock that changes outside the market's forms (a checkout's reservation, its release or
-- expiry) tells the market on commit, which then purges its cached pages and fragments.
-- NOTIFY folds identical notifications of one transaction into one.
CREATE FUNCTION market_stock_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('market_stock', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER product_variants_stock_changed
    AFTER UPDATE OF stock ON product_variants
    FOR EACH ROW
    WHEN (OLD.stock IS DISTINCT FROM NEW.stock)
    EXECUTE FUNCTION market_stock_changed();
