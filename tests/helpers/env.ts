/** The test stack that `npm test` starts, described by environment variables. */

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the tests with \`npm test\`, which starts the database and services they need.`,
    );
  }
  return value;
}

export const testEnv = {
  get dbUrl(): string {
    return required("GROUNDWORK_TEST_DB_URL");
  },
  get adminDbUrl(): string {
    return required("GROUNDWORK_TEST_ADMIN_DB_URL");
  },
  get apiUrl(): string {
    return required("GROUNDWORK_TEST_API_URL");
  },
  get mailUrl(): string {
    return required("MAIL_CATCHER_URL");
  },
  get jwtSecret(): string {
    return required("SUPABASE_JWT_SECRET");
  },
};
