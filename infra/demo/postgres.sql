CREATE TABLE IF NOT EXISTS public.invoices (
  invoice_id BIGINT PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  amount NUMERIC(12,2) NOT NULL,
  paid BOOLEAN NOT NULL DEFAULT false,
  issued_on DATE NULL,
  wail_ts BIGINT NOT NULL
);
