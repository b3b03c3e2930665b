/// <reference lib="dom" />
/**
 * The browser side of the JupyterLab renderer page (bundled by `tests/_render.ts`):
 * JupyterLab's own output renderers (`@jupyterlab/rendermime` with its standard factories and
 * sanitizer, `@jupyterlab/outputarea`) draw a notebook's saved outputs, one output area per
 * code cell, as JupyterLab does when it opens the notebook: untrusted outputs get the safe
 * MIME type JupyterLab prefers and sanitized HTML, trusted ones the richest type and their
 * scripts.
 *
 * Sets `window.labRender(notebookJson, trusted)`, which resolves once every output is drawn.
 */
import { RenderMimeRegistry, standardRendererFactories } from "@jupyterlab/rendermime";
import { OutputArea, OutputAreaModel } from "@jupyterlab/outputarea";

type Outputs = NonNullable<ConstructorParameters<typeof OutputAreaModel>[0]>["values"];

interface NotebookJson {
  cells: Array<{ cell_type: string; outputs?: unknown[] }>;
}

/** Draws the outputs of every code cell into `#notebook`; returns the number of outputs. */
async function labRender(nb: NotebookJson, trusted: boolean): Promise<number> {
  const host = document.getElementById("notebook")!;
  host.textContent = "";
  document.body.dataset.trusted = String(trusted);
  const rendermime = new RenderMimeRegistry({ initialFactories: standardRendererFactories });
  let outputs = 0;
  nb.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const wrapper = document.createElement("div");
    wrapper.className = "lab-cell";
    wrapper.dataset.cell = String(index);
    host.appendChild(wrapper);
    const model = new OutputAreaModel({ trusted, values: (cell.outputs ?? []) as Outputs });
    const area = new OutputArea({ model, rendermime });
    // `attach` is lumino's Widget.attach, inherited by OutputArea.
    OutputArea.attach(area, wrapper);
    outputs += model.length;
  });
  // Renderers draw asynchronously (promises); give them a turn of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return outputs;
}

(globalThis as unknown as { labRender: typeof labRender }).labRender = labRender;
