"""The safety-checker throughput page: what was measured on this machine, and a plan for N GPUs
computed from the run's own numbers (decode and preprocessing times, the v1.4 checker's FLOPs,
the driver's cost per result row, the object store's rate). The only numbers not measured here are
the GPU throughputs the plan is evaluated at, which are named as assumptions on the page and drawn
dashed in the figure's plan panel. `run` measures (`lab.diffusion.throughput`, with the harness's
timer) and writes the JSON, the page and the figure."""

from __future__ import annotations

import json
import math
from pathlib import Path

from lab.bench.harness import measure, threads, threads_sentence
from lab.output.figures import COLORS, plt, save
from lab.output.folders import atomic_write_text
from lab.output.markdown import md_table

# Achieved (not peak) half-precision TFLOP/s per GPU at which the plan is evaluated: assumptions,
# spanning an older card at low utilization to a current one run well.
ACHIEVED_TFLOPS = (50, 150, 400)
GPU_COUNTS = (1, 2, 4, 8, 16, 32, 64, 128)


def per_gpu(inputs: dict, tflops: float) -> dict:
    """What one GPU running v1.4's checker at `tflops` achieved TFLOP/s asks of the rest."""
    rate = tflops * 1e12 / inputs["v14_flops_per_image"]
    cpu_s = inputs["decode_512_jpeg_s"] + inputs["preprocess_512_s"]
    return {"tflops": tflops, "images_per_s": rate, "decode_cores": rate * cpu_s,
            "transfer_mb_per_s": rate * inputs["bytes_per_image_uint8"] / 1e6,
            "gpus_per_driver": driver_rows_per_s(inputs) / rate}


def driver_rows_per_s(inputs: dict) -> float:
    """Result rows per second the driver turns into Parquet parts (its only per-image work)."""
    return inputs["part_rows"] / inputs["driver_part_write_s"]


def object_store_mb_per_s(inputs: dict, batch: int) -> float:
    """Same-node object store rate measured with a batch of uint8 224² images (put + get)."""
    return batch * inputs["bytes_per_image_uint8"] / 1e6 / inputs["object_store_batch_s"]


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×"


def _engines(data: dict) -> list[tuple[str, dict]]:
    """(label, result) of every engine run, plain ones first."""
    return ([(f"plain, {r['torch_threads']} torch thread{'s' * (r['torch_threads'] > 1)}", r)
             for r in data["plain"]]
            + [(f"Ray Data, {r['workers']} worker{'s' * (r['workers'] > 1)}", r) for r in data["ray"]])


def measured_section(data: dict) -> str:
    """The engines' images/s on this machine, and what a worker's per-image costs predict."""
    steady = "steady_images_per_s"
    rows = [(name, f"{r['run_s']:.1f}", f"{r['first_results_s']:.1f}", f"{r['images_per_s']:.0f}",
             f"{r[steady]:.0f}") for name, r in _engines(data)]
    one, two = (next(r for r in data["ray"] if r["workers"] == w) for w in (1, 2))
    plain = next(r for r in data["plain"] if r["torch_threads"] == 1)
    fastest_name, fastest = max(_engines(data), key=lambda e: e[1][steady])
    inputs = data["plan_inputs"]
    per_image = (inputs["decode_small_s"] + inputs["preprocess_small_s"]
                 + inputs["tiny_model_batch_s"] / data["batch_size"])
    load = data["load_average_1min"]
    workers = max(r["workers"] for r in data["ray"])
    text = (f"{plain['images']} generated images (48–96 px, half PNG, half JPEG), batch "
            f"{data['batch_size']}, the embedded tiny checker (random weights) on the CPU. The plain "
            "engine ran with " + ", then ".join(
                f"{r['torch_threads']} torch thread{'s' * (r['torch_threads'] > 1)}"
                for r in data["plain"]) + " (one, as each Ray worker has; torch's default "
            f"{data['threads']['torch_intra_op_threads']}, as `lab sd safety` runs); Ray ran up to "
            f"{workers} workers on {data['threads']['cpu_count']} cores, each worker an actor with one "
            f"CPU; {threads_sentence(data['threads'])}. Starting Ray took "
            f"{data['ray_start_s']:.1f} s, paid once per command and not "
            "counted below. *Steady* is the rate from the first results to the last, which leaves "
            "out each engine's fixed costs (for Ray: creating the actors, each importing torch and "
            "loading the model).\n\n")
    text += md_table(["engine", "whole run (s)", "first results after (s)", "images/s, whole run",
                      "images/s, steady"], rows)
    text += (f"\nSteady rates: 2 Ray workers reach {_ratio(two[steady], one[steady])} the rate of "
             f"one, and {_ratio(two[steady], plain[steady])} the one-thread plain engine's; "
             f"fastest: {fastest_name} ({fastest[steady]:.0f} images/s steady). Over the "
             f"whole run 2 workers take {_ratio(two['run_s'], plain['run_s'])} the one-thread "
             f"plain engine's time. The machine's load average (1 min) went "
             f"{', '.join(f'{x:.1f}' for x in load)} during the run on "
             f"{data['threads']['cpu_count']} cores (it is shared), so these rates carry that noise.\n\n"
             f"Per image, one worker spends {_ms(inputs['decode_small_s'])} decoding, "
             f"{_ms(inputs['preprocess_small_s'])} resizing, cropping and normalizing, and "
             f"{_ms(inputs['tiny_model_batch_s'] / data['batch_size'])} in the tiny checker (batch "
             f"{data['batch_size']}: {_ms(inputs['tiny_model_batch_s'])}): {1 / per_image:.0f} "
             f"images/s predicted for one worker, {one[steady]:.0f} measured.\n")
    return text


def plan_section(data: dict) -> str:
    """The plan for N GPUs: the numbers it rests on, then what limits at each assumed GPU speed."""
    inputs = data["plan_inputs"]
    batch = data["batch_size"]
    flops = inputs["v14_flops_per_image"]
    store = object_store_mb_per_s(inputs, batch)
    basis = md_table(["quantity", "value", "how it was obtained"], [
        ("v1.4 safety checker, FLOPs per image", f"{flops / 1e9:.1f} GFLOP",
         "torch FlopCounterMode, v1.4's config built on the meta device (vision tower, projection, "
         "cosines)"),
        ("v1.4 checker on this CPU, one image", f"{inputs['v14_cpu_image_s']:.2f} s "
         f"({flops / inputs['v14_cpu_image_s'] / 1e9:.0f} GFLOP/s)", "measured, random weights"),
        ("decode a 512×512 JPEG", _ms(inputs["decode_512_jpeg_s"]), "measured (PIL, full decode)"),
        ("resize + crop + normalize it", _ms(inputs["preprocess_512_s"]), "measured (torchvision)"),
        ("bytes per image sent to a GPU", f"{inputs['bytes_per_image_uint8']:,} (uint8 224²)",
         f"computed; {inputs['bytes_per_image_fp16']:,} as a float16 tensor"),
        ("object store, same node", f"{store:,.0f} MB/s", f"measured: put + get of {batch} images"),
        ("driver: rows written to Parquet", f"{driver_rows_per_s(inputs):,.0f} rows/s",
         f"measured: one part of {inputs['part_rows']} rows, built and written atomically"),
        ("driver: listing a folder", f"{1 / inputs['listing_s_per_entry']:,.0f} entries/s",
         "measured on the benchmark's folder"),
    ])
    rows, notes = [], []
    for tflops in ACHIEVED_TFLOPS:
        g = per_gpu(inputs, tflops)
        rows.append((f"{tflops}", f"{g['images_per_s']:,.0f}", f"{g['decode_cores']:.1f}",
                     f"{g['transfer_mb_per_s']:,.0f}", f"{g['gpus_per_driver']:,.0f}"))
        notes.append(g)
    low, high = notes[0], notes[-1]
    cpu_rate = 1 / inputs["v14_cpu_image_s"]
    million = 1e6 * inputs["listing_s_per_entry"]
    text = ("The full-size checker is a CLIP ViT-L/14 vision tower; at corpus scale it runs on GPUs, "
            "one Ray actor per GPU, with decoding in CPU tasks feeding them (what `--engine ray` "
            "does when the cluster has GPUs). What each quantity below rests on:\n\n" + basis
            + "\nPer GPU, at an achieved half-precision throughput (an assumption: the column on the "
            "left, not measured here):\n\n"
            + md_table(["achieved TFLOP/s per GPU", "images/s per GPU (model)",
                        "CPU cores to decode for it", "host→GPU MB/s", "GPUs one driver can feed"],
                       rows)
            + f"\nWhat limits, from these numbers. **Decoding**: every GPU needs "
            f"{low['decode_cores']:.1f} to {high['decode_cores']:.1f} CPU cores decoding and "
            f"resizing 512² JPEGs ({_ms(inputs['decode_512_jpeg_s'] + inputs['preprocess_512_s'])} "
            f"each), so a node with fewer cores per GPU than that is decode-bound, and N GPUs need "
            f"about N × that many cores in the cluster. **Transfer**: "
            f"{low['transfer_mb_per_s']:,.0f}–{high['transfer_mb_per_s']:,.0f} MB/s per GPU against "
            f"{store:,.0f} MB/s through the object store on one node here ("
            f"{'enough' if store >= high['transfer_mb_per_s'] * 8 else 'not enough'} for 8 GPUs at "
            f"the highest rate). **The model** sets the rate per GPU "
            f"({low['images_per_s']:,.0f}–{high['images_per_s']:,.0f} images/s; this CPU does "
            f"{cpu_rate:.2f}, so {1e6 / cpu_rate / 86400:.0f} days per million images on one "
            f"machine like this). **The driver** only receives result rows: it writes "
            f"{driver_rows_per_s(inputs):,.0f} rows/s, enough for "
            f"{math.floor(high['gpus_per_driver'])} GPUs at the highest rate before it limits; past "
            f"that, split the list file across several runs. Listing a million files here takes "
            f"{million:.0f} s on the driver, before the first batch.\n")
    return text


def page(data: dict, figure_name: str) -> str:
    """The whole page, from the run's JSON."""
    versions = data["versions"]
    return (f"# Safety checker throughput: plain and Ray Data\n\n_{data['date']} · {data['machine']} · "
            f"{data['mode']} mode · torch {versions['torch']}, ray {versions['ray']}, pyarrow "
            f"{versions['pyarrow']} · `benchmarks/safety_throughput.py`._\n\n"
            f"## Measured on this machine\n\n{measured_section(data)}\n"
            f"![images/s per engine, and the plan's images/s against the number of GPUs]"
            f"({figure_name})\n\n## Scaling plan on paper for N GPUs\n\n{plan_section(data)}")


def figure(data: dict, out: Path, name: str) -> str:
    """Left: each engine's images/s (whole run and steady). Right: the plan's images/s against
    the number of GPUs at each assumed GPU speed, capped where one driver limits."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.2))
    engines = ([(f"plain, {r['torch_threads']} thr.", r) for r in data["plain"]]
               + [(f"Ray ×{r['workers']}", r) for r in data["ray"]])
    x = range(len(engines))
    a.bar([i - 0.2 for i in x], [e["images_per_s"] for _, e in engines], 0.4, label="whole run",
          color=COLORS[0])
    a.bar([i + 0.2 for i in x], [e["steady_images_per_s"] for _, e in engines], 0.4,
          label="steady", color=COLORS[1])
    a.set_xticks(list(x), [n for n, _ in engines])
    a.set_ylabel("images/s")
    a.set_title(f"Tiny checker, {data['ray'][0]['images']} images, this CPU")
    a.legend()
    inputs = data["plan_inputs"]
    for i, (tflops, marker) in enumerate(zip(ACHIEVED_TFLOPS, "s^D", strict=False)):
        g = per_gpu(inputs, tflops)
        # A model, not a measurement: dashed, and the assumption in its label.
        b.plot(GPU_COUNTS, [min(n * g["images_per_s"], driver_rows_per_s(inputs)) for n in GPU_COUNTS],
               ls="--", marker=marker, mfc="none", color=COLORS[i + 2],
               label=f"model at an assumed {tflops} TFLOP/s per GPU")
    b.axhline(driver_rows_per_s(inputs), color="gray", ls=":",
              label="one driver's row rate (measured here)")
    b.set_xscale("log", base=2)
    b.set_yscale("log")
    b.set_xlabel("GPUs")
    b.set_ylabel("images/s (v1.4 checker)")
    b.set_title("Plan on paper (not measured): N GPUs, decode and transfer provisioned", fontsize=9)
    b.legend(fontsize=8)
    return save(fig, out, name)


def run(out: Path | str, quick: bool = False, images: int | None = None) -> dict:
    """Measure (lab.diffusion.throughput), write safety_throughput.json, .md and .png under out,
    return the record."""
    from lab.bench.records import prepare
    from lab.diffusion.throughput import measure_throughput

    out = prepare(out)
    data = measure_throughput(measure, quick, images) | {"threads": threads()}
    atomic_write_text(out / "safety_throughput.json", json.dumps(data, indent=1) + "\n")
    figure(data, out, "safety_throughput.png")
    atomic_write_text(out / "safety_throughput.md", page(data, "safety_throughput.png"))
    return data
