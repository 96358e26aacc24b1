// The console's views, in navigation order. A view is listed once it is built: the Claims,
// Research, Patient and Telehealth views join this list, nothing stands in for them meanwhile.
import type { FunctionComponent } from 'preact';
import type { ConsoleConfig } from './console-config.js';
import type { ConsoleSession } from './session.js';
import { OperationsView } from './operations-view.js';
import { ReceiptsView } from './receipts-view.js';
import { ClaimsView } from './claims-view.js';
import { PatientView } from './patient-view.js';
import { ResearchView } from './research-view.js';
import { TelehealthView } from './telehealth-view.js';

export interface ViewProps {
  config: ConsoleConfig;
  session: ConsoleSession;
}

export interface ConsoleView {
  path: string;
  title: string;
  /** Who the view is for, under its title. */
  audience: string;
  component: FunctionComponent<ViewProps>;
}

export const CONSOLE_VIEWS: ConsoleView[] = [
  { path: 'operations', title: 'Operations', audience: 'Intake, anchoring and the chain, live', component: OperationsView },
  { path: 'receipts', title: 'Receipts', audience: 'Find a resource version and verify its receipt in this browser', component: ReceiptsView },
  { path: 'claims', title: 'Claims', audience: 'Payers: verify a claim and its evidence in this browser', component: ClaimsView },
  { path: 'research', title: 'Research', audience: 'Cohort queries: compose criteria, follow each hospital’s proven answer', component: ResearchView },
  { path: 'patient', title: 'Patient', audience: 'A patient’s consents, who read their record and why, and their consults', component: PatientView },
  { path: 'telehealth', title: 'Telehealth', audience: 'Video consults: the schedule and waiting room, admitting, inviting, and the call', component: TelehealthView },
];
