-- read_models.feedback_apply(p_events jsonb): NPS answers and complaints, each attributed to the destination and
-- product type of the booking it names, in one round trip per batch. Each element is {customerId, type, data,
-- occurredAt}; any other type raises, so an event the projection says it handles is never skipped in silence.
-- Attribution looks only at the customer's own bookings (booking ids are unique per customer, not across customers),
-- which live in the same stream and so the same partition. A booking this read model does not know (none named, or
-- its TripBooked skipped) leaves the attribution null: counted under "unknown", never refused. Inserts keep the first
-- row and updates keep the first instant, so applying an event again changes nothing. Version 2 (issue 19): the
-- booking's sales channel, agent (agentId, set by the projection from the event's metadata) and first departure,
-- copied onto answers like the destination, and the department and phase an answer or complaint names.
CREATE OR REPLACE FUNCTION read_models.feedback_apply(p_events jsonb) RETURNS void
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
        INSERT INTO read_models.feedback_bookings (customer_id, booking_id, destination_country, destination_city, product_type, channel, agent_id)
        VALUES (c, d->>'bookingId', d->'destination'->>'country', d->'destination'->>'city', d->>'productType', d->>'channel', e->>'agentId')
        ON CONFLICT DO NOTHING;
      WHEN 'TripDeparted' THEN
        UPDATE read_models.feedback_bookings SET departed_at = coalesce(departed_at, at)
         WHERE customer_id = c AND booking_id = d->>'bookingId';
      WHEN 'SurveyAnswered' THEN
        INSERT INTO read_models.feedback_surveys
          (customer_id, survey_id, answered_at, nps, booking_id, destination_country, destination_city, product_type, channel, agent_id, department, phase)
        SELECT c, d->>'surveyId', at, (d->>'nps')::int, d->>'bookingId', b.destination_country, b.destination_city, b.product_type,
               b.channel, b.agent_id, d->>'department', d->>'phase'
          FROM (SELECT) one
          LEFT JOIN read_models.feedback_bookings b ON b.customer_id = c AND b.booking_id = d->>'bookingId'
        ON CONFLICT DO NOTHING;
      WHEN 'ComplaintFiled' THEN
        INSERT INTO read_models.feedback_complaints
          (customer_id, complaint_id, filed_at, category, severity, channel, booking_id, destination_country, destination_city, product_type, department, phase)
        SELECT c, d->>'complaintId', at, d->>'category', d->>'severity', d->>'channel', d->>'bookingId',
               b.destination_country, b.destination_city, b.product_type, d->>'department', d->>'phase'
          FROM (SELECT) one
          LEFT JOIN read_models.feedback_bookings b ON b.customer_id = c AND b.booking_id = d->>'bookingId'
        ON CONFLICT DO NOTHING;
      WHEN 'ComplaintAcknowledged' THEN
        UPDATE read_models.feedback_complaints SET acknowledged_at = coalesce(acknowledged_at, at)
         WHERE customer_id = c AND complaint_id = d->>'complaintId';
      WHEN 'ComplaintResolved' THEN
        UPDATE read_models.feedback_complaints SET resolved_at = coalesce(resolved_at, at)
         WHERE customer_id = c AND complaint_id = d->>'complaintId';
      ELSE
        RAISE EXCEPTION 'feedback cannot apply %', e->>'type';
    END CASE;
  END LOOP;
END
$fn$;
