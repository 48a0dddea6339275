-- read_models.churn_facts_apply(p_events jsonb): the facts a churn score needs, with the instants they happened at, so
-- a score as of a past instant sees what had happened by then. Trips and cancellations are kept here too (not read
-- from segment_facts): each read model can be dropped and rebuilt alone. A batch of {customerId, type, data,
-- occurredAt} in one round trip; any other type raises.
CREATE OR REPLACE FUNCTION read_models.churn_facts_apply(p_events jsonb) RETURNS void
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
      WHEN 'TripBooked' THEN
        INSERT INTO read_models.churn_facts_bookings (customer_id, booking_id, booked_at, amount_value, currency)
        VALUES (c, d->>'bookingId', at, (d->'amount'->>'value')::bigint, d->'amount'->>'currency')
        ON CONFLICT DO NOTHING;
      WHEN 'BookingAmended' THEN
        IF d ? 'amount' THEN
          UPDATE read_models.churn_facts_bookings SET amount_value = (d->'amount'->>'value')::bigint, currency = d->'amount'->>'currency'
           WHERE customer_id = c AND booking_id = d->>'bookingId';
        END IF;
      WHEN 'BookingCancelled' THEN
        UPDATE read_models.churn_facts_bookings SET cancelled_at = at WHERE customer_id = c AND booking_id = d->>'bookingId';
      WHEN 'TripReturned' THEN
        UPDATE read_models.churn_facts_bookings SET returned_at = at WHERE customer_id = c AND booking_id = d->>'bookingId';
      WHEN 'ComplaintFiled' THEN
        INSERT INTO read_models.churn_facts_complaints (customer_id, complaint_id, filed_at, severity)
        VALUES (c, d->>'complaintId', at, d->>'severity')
        ON CONFLICT DO NOTHING;
      WHEN 'ComplaintResolved' THEN
        UPDATE read_models.churn_facts_complaints SET resolved_at = at WHERE customer_id = c AND complaint_id = d->>'complaintId';
      WHEN 'SurveyAnswered' THEN
        INSERT INTO read_models.churn_facts_surveys (customer_id, survey_id, answered_at, nps)
        VALUES (c, d->>'surveyId', at, (d->>'nps')::int)
        ON CONFLICT DO NOTHING;
      WHEN 'InteractionLogged' THEN
        INSERT INTO read_models.churn_facts_contacts (customer_id, interaction_id, at, direction)
        VALUES (c, d->>'interactionId', at, d->>'direction')
        ON CONFLICT DO NOTHING;
      ELSE
        RAISE EXCEPTION 'churn_facts cannot apply %', e->>'type';
    END CASE;
  END LOOP;
END
$fn$;

