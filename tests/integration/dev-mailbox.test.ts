import { afterEach, describe, expect, test } from "vitest";
import { loader } from "../../app/routes/dev.mailbox";
import { keepProcessEnv } from "../support/live-backend";

// /dev/mailbox shows every email the backend sent, sign-in codes included. It must exist only
// where a developer asked for it (PRESSROOM_DEV_MAILBOX=1, set by `npm start`, `npm run dev` and
// the e2e stack), never because the server happens to hold an admin key.

afterEach(keepProcessEnv("NODE_ENV", "CONVEX_ADMIN_KEY", "PRESSROOM_DEV_MAILBOX"));

async function status(): Promise<number> {
  try {
    await loader({ request: new Request("http://127.0.0.1:3000/dev/mailbox"), params: {}, context: {} });
    return 200;
  } catch (e) {
    if (e instanceof Response) return e.status;
    throw e;
  }
}

describe("dev mailbox in production", () => {
  test("dev mailbox in production: a production server holding the admin key but no dev flag answers 404", async () => {
    process.env.NODE_ENV = "production";
    process.env.CONVEX_ADMIN_KEY = "some-admin-key";
    delete process.env.PRESSROOM_DEV_MAILBOX;
    expect(await status()).toBe(404);
  });

  test("dev mailbox in production: a development server without the flag answers 404 too", async () => {
    process.env.NODE_ENV = "development";
    process.env.CONVEX_ADMIN_KEY = "some-admin-key";
    delete process.env.PRESSROOM_DEV_MAILBOX;
    expect(await status()).toBe(404);
  });

  test("dev mailbox in production: only the explicit flag turns it on (any other value does not)", async () => {
    process.env.NODE_ENV = "production";
    delete process.env.CONVEX_ADMIN_KEY;
    process.env.PRESSROOM_DEV_MAILBOX = "true";
    expect(await status()).toBe(404);
    process.env.PRESSROOM_DEV_MAILBOX = "1";
    // On, but without a key it says how to configure it (and reads nothing).
    expect(await status()).toBe(200);
  });
});
