// The package: one construct, its props, and the enums of its settings.
export * from './settings.generated';
export * from './sms-passwordless';
