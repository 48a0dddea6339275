-- read_models.segment_facts_apply(p_events jsonb): the facts a segment evaluation needs, applied a batch at a time in
-- one round trip (as customer_overview does). Instants are the events' occurredAt, so an evaluation as of a past
-- instant sees what had happened by then. Elements are {customerId, type, data, occurredAt}; any other type raises.
CREATE OR REPLACE FUNCTION read_models.segment_facts_apply(p_events jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  e  jsonb;
  d  jsonb;
  c  text;
  at timestamptz;
BEGIN
  FOR e IN SELECT value FROM jsonb_array_elements(p_events) LOOP
    c := e->>'customerId';
    d := e->'data';
    at := (e->>'occurredAt')::timestamptz;
    CASE e->>'type'
      WHEN 'CustomerRegistered' THEN
        INSERT INTO read_models.segment_facts_customers (customer_id, registered_at, declared_tags)
        VALUES (c, at, ARRAY(SELECT jsonb_array_elements_text(coalesce(d->'tags', '[]'))))
        ON CONFLICT (customer_id) DO NOTHING;
      WHEN 'CustomerProfileUpdated' THEN
        IF d ? 'tags' THEN
          UPDATE read_models.segment_facts_customers
             SET tag_changes = tag_changes || jsonb_build_array(jsonb_build_object('at', e->>'occurredAt', 'tags', d->'tags'))
           WHERE customer_id = c;
        END IF;
      WHEN 'VipStatusGranted', 'VipStatusRevoked' THEN
        UPDATE read_models.segment_facts_customers
           SET vip_changes = vip_changes || jsonb_build_array(jsonb_build_object('at', e->>'occurredAt', 'granted', e->>'type' = 'VipStatusGranted'))
         WHERE customer_id = c;
      WHEN 'TripBooked' THEN
        INSERT INTO read_models.segment_facts_bookings
          (customer_id, booking_id, booked_at, departure_date, amount_value, currency, travellers, product_type, destination_country,
           destination_city, channel)
        VALUES (c, d->>'bookingId', at, (d->>'departureDate')::date, (d->'amount'->>'value')::bigint, d->'amount'->>'currency',
                (d->>'travellers')::int, d->>'productType', d->'destination'->>'country', d->'destination'->>'city', d->>'channel')
        ON CONFLICT DO NOTHING;
      WHEN 'BookingAmended' THEN
        UPDATE read_models.segment_facts_bookings SET
          departure_date = coalesce((d->>'departureDate')::date, departure_date),
          amount_changes = CASE WHEN d ? 'amount'
            THEN amount_changes || jsonb_build_array(jsonb_build_object('at', e->>'occurredAt', 'value', d->'amount'->'value', 'currency', d->'amount'->>'currency'))
            ELSE amount_changes END
         WHERE customer_id = c AND booking_id = d->>'bookingId';
      WHEN 'BookingCancelled' THEN
        UPDATE read_models.segment_facts_bookings SET cancelled_at = at WHERE customer_id = c AND booking_id = d->>'bookingId';
      WHEN 'TripReturned' THEN
        UPDATE read_models.segment_facts_bookings SET returned_at = at WHERE customer_id = c AND booking_id = d->>'bookingId';
      ELSE
        RAISE EXCEPTION 'segment_facts cannot apply %', e->>'type';
    END CASE;
  END LOOP;
END
$fn$;

