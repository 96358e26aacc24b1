/**
 * Regenerates the committed compact models from the pinned definition packages:
 *   npx tsx fhir-adapters/validation/generate-models.ts
 * The models (and the trimmed R4 definitions medplum validates with) are committed so the node
 * starts without parsing ~50 MB of definitions;
 * model-drift.test.ts fails if they no longer match their sources.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildR4Model, buildR4ValidationBundle, buildR5Invariants, buildR5Model } from './definition-sources.js';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

writeFileSync(here('./r4-model.json'), JSON.stringify(buildR4Model()) + '\n');
writeFileSync(here('./r5-model.json'), JSON.stringify(buildR5Model()) + '\n');
writeFileSync(here('./r4-validation-definitions.json'), JSON.stringify(buildR4ValidationBundle()) + '\n');
writeFileSync(here('./r5-invariants.json'), JSON.stringify(buildR5Invariants(), null, 1) + '\n');
