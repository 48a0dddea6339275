export * from './churn-config';
export * from './score-churn';
