import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The image tests (npm run test:image): real containers on an engine of their own. Their files end
// in .docker.ts so that npm test's run (test/**/*.test.ts) never picks them up. Two groups: the
// container tests side by side, then the overhead measurement alone, so that no other container
// shares the page cache or the cores with the ones it measures.
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const shared = { testTimeout: 180_000, hookTimeout: 180_000 };

export default defineConfig({
  root,
  test: {
    globalSetup: ["test/e2e/image-docker/global-setup.ts"],
    projects: [
      {
        test: {
          ...shared,
          name: "containers",
          root,
          include: ["test/e2e/image-docker/**/*.docker.ts"],
          exclude: ["test/e2e/image-docker/overhead.docker.ts"],
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: "overhead",
          root,
          include: ["test/e2e/image-docker/overhead.docker.ts"],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
