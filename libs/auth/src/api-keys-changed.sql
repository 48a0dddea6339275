-- Every change to an API key (a revocation by the keys CLI or by hand, a deletion, any edit) tells every engine
-- process to drop the key from its cache (api-key-cache.ts). The payload is the key's id. PostgreSQL delivers it
-- when the changing transaction commits, and never if it rolls back, so no process forgets a key that still stands.
CREATE OR REPLACE FUNCTION auth.notify_api_key_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('auth_api_keys_changed', OLD.id::text);
  RETURN NULL;
END
$fn$;
