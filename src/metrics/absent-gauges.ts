import { Gauge, type Registry, type RegistryContentType } from "./prom-client.js";

type Registers = readonly Registry<RegistryContentType>[];

/**
 * A gauge without labels that is absent, not 0, while it has no value: prom-client always
 * renders an unlabelled gauge, so it is registered only while it holds one.
 */
export class OptionalGauge {
  private shown = false;
  private readonly gauge: Gauge;
  constructor(
    readonly name: string,
    help: string,
    private readonly registers: Registers,
  ) {
    this.gauge = new Gauge({ name, help, registers: [] });
  }

  set(value: number): void {
    this.gauge.set(value);
    if (this.shown) return;
    for (const registry of this.registers) registry.registerMetric(this.gauge);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    for (const registry of this.registers) registry.removeSingleMetric(this.name);
    this.shown = false;
  }
}

/** A labelled gauge that is absent (not even its HELP line) until its first value. */
export class LazyGauge<L extends string> {
  private shown = false;
  private readonly gauge: Gauge<L>;
  constructor(
    readonly name: string,
    help: string,
    labelNames: readonly L[],
    private readonly registers: Registers,
  ) {
    this.gauge = new Gauge<L>({ name, help, labelNames: [...labelNames], registers: [] });
  }

  set(labels: Partial<Record<L, string>>, value: number): void {
    this.gauge.set(labels, value);
    if (this.shown) return;
    for (const registry of this.registers) registry.registerMetric(this.gauge);
    this.shown = true;
  }
}
