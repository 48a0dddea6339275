export * from './churn-config';
export * from './score-churn';
export * from './model-choice';
