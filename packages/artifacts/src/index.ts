export type { ArtifactStore, AttemptRef, StoredFile } from './artifact-store.js';
export { artifactKey, logKey, DEFAULT_KEY_TEMPLATE } from './key-template.js';
export { checkArtifactPath, createLocalArtifactStore, resolveInside, type LocalStoreOptions } from './local-store.js';
export { createS3ArtifactStore, isTransient, type S3StoreOptions } from './s3-store.js';
