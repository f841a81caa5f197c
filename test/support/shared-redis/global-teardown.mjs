/** Global teardown of the `redis` Jest project: stops the shared servers (by PID, in the harness). */
export default async function globalTeardown() {
  const servers = globalThis.kvSharedServers ?? [];
  delete globalThis.kvSharedServers;
  await Promise.all(servers.map((server) => server.stop()));
}
