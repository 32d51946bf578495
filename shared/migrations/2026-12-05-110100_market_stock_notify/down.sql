DROP TRIGGER product_variants_stock_changed ON product_variants;
DROP FUNCTION market_stock_changed();
