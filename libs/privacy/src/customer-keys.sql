-- A forgotten customer's key row is a tombstone: the trigger customer_keys_tombstones_are_final (DDL, in the migration
-- of customer-keys.ts) runs this before any change to it.
CREATE OR REPLACE FUNCTION privacy.customer_keys_tombstones_are_final() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'customer % was forgotten at %: the tombstone of their data key cannot be changed or removed', OLD.customer_id, OLD.forgotten_at
    USING ERRCODE = 'check_violation';
END
$fn$;
