export * from './touchpoint';
export * from './touchpoint-config';
export * from './schedule-touchpoints';
export { addDays, addMonths, daysBetween, isLocalDate, isLocalTime, isTimeZone, localParts, zonedTime, type LocalParts } from './zoned-time';
export * from './touchpoint-facts';
export { campaignTouchpoints } from './campaign-touchpoints';
