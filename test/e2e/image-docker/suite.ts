import { inject } from "vitest";
import { attachEngine, type Engine } from "./engine.mjs";

/** What the global setup hands every test file. */
export interface ImageSuite {
  /** Name of the suite's Docker engine (attachEngine). */
  engine: string;
  /**
   * A user's repository as the guide has it: the Dockerfile (the fragment around the runner's
   * stage), .dockerignore, and the supervisor's files in runner-supervisor/. Guide commands run here.
   */
  userRepository: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    imageSuite: ImageSuite;
  }
}

export function imageSuite(): ImageSuite {
  return inject("imageSuite");
}

/** The suite's engine (started and removed by the global setup). */
export function suiteEngine(): Engine {
  return attachEngine(imageSuite().engine);
}
