/**
 * Runs before every test file. The services the suites compose (in process or
 * as child processes, both from process.env) share one MariaDB with two
 * projects' suites at a time; with the services' default pool of 64 a suite
 * that keeps several proxies busy exhausted its 151 connections, and a write
 * was answered 503 DATABASE_UNAVAILABLE (`Too many connections`). Sized like
 * the chaos cluster's services, as the README asks of any deployment that
 * shares a server. A suite may still set its own.
 */
process.env.WAIL_MYSQL_POOL_SIZE ??= '16';
