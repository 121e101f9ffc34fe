// The pieces of @cloudquery/plugin-sdk-javascript the test plugins use.
// Resource/encodeResource and the meta columns are not in the package's
// "exports" map, so they are imported by file path (see README.md, quirks).
export * as arrow from '@cloudquery/plugin-sdk-javascript/arrow';
export { newPlugin } from '@cloudquery/plugin-sdk-javascript/plugin/plugin';
export { createServeCommand } from '@cloudquery/plugin-sdk-javascript/plugin/serve';
export { sync } from '@cloudquery/plugin-sdk-javascript/scheduler';
export { createTable, filterTables, decodeTable, decodeRecord } from '@cloudquery/plugin-sdk-javascript/schema/table';
export { createColumn } from '@cloudquery/plugin-sdk-javascript/schema/column';
export { pathResolver, parentColumnResolver } from '@cloudquery/plugin-sdk-javascript/schema/resolvers';
export { UUIDType } from '@cloudquery/plugin-sdk-javascript/types/uuid';
export { JSONType } from '@cloudquery/plugin-sdk-javascript/types/json';
export { addCQIDsColumns } from '../../node_modules/@cloudquery/plugin-sdk-javascript/dist/schema/meta.js';
