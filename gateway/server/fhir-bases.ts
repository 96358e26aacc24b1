// Where the FHIR API is mounted. The app, the node's token audiences and the adapters' routes
// (Subscriptions, Bulk export) all build URLs from these, so they live apart from any of them.

export const FHIR_BASE = '/fhir';
/** The write-only R4 intake base; resources are read back at FHIR_BASE. */
export const FHIR_R4_BASE = '/fhir/R4';
