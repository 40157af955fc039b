/**
 * One software module: properties, artifacts with their hashes, drag-and-drop upload with a progress
 * bar (XMLHttpRequest upload progress, the multipart upload hawkBit defines), download, metadata.
 */

import { ApiError, apiUrl, del, get, put, seg, upload } from "../api.js";
import { progress } from "../charts.js";
import { confirmDialog, formDialog } from "../dialog.js";
import { h, replace } from "../dom.js";
import { badge, code, formatBytes, formatTime, prop } from "../format.js";
import { field, formValue, input, textarea } from "../forms.js";
import { href, navigate } from "../links.js";
import { metadataCard } from "../metadata.js";
import { emptyState, errorBox, loading, showError, toast } from "../notice.js";
import { authorization, can } from "../session.js";

export default async function softwareModule({ params, signal }) {
	const base = `/softwaremodules/${seg(params.id)}`;
	let m = await get(base, undefined, signal);
	const pageError = errorBox(null);
	const title = h("h1", null, `${m.name}:${m.version}`);
	const propsCard = h("section", { class: "card", "aria-labelledby": "props-h" });
	const artifactsCard = h(
		"section",
		{ class: "card", "aria-labelledby": "artifacts-h" },
		loading(),
	);
	const canUpload = can("CREATE_SOFTWARE_MODULE");

	function renderProps() {
		title.textContent = `${m.name}:${m.version}`;
		replace(
			propsCard,
			h("h2", { id: "props-h" }, "Properties"),
			h(
				"dl",
				{ class: "props" },
				prop("Name", m.name),
				prop("Version", m.version),
				prop("Type", `${m.typeName ?? ""} (${m.type})`),
				prop("Vendor", m.vendor),
				prop("Description", m.description),
				prop("State", [
					m.locked ? badge("info", "locked") : badge("ok", "unlocked"),
					" ",
					m.complete === false ? badge("pending", "incomplete") : null,
					m.encrypted ? badge("info", "encrypted") : null,
				]),
				prop("Created", `${formatTime(m.createdAt)} by ${m.createdBy ?? "?"}`),
				prop("Modified", `${formatTime(m.lastModifiedAt)} by ${m.lastModifiedBy ?? "?"}`),
			),
		);
	}

	const uploads = h("ul", { class: "uploads", "aria-label": "Uploads" });
	const fileInput = h("input", {
		type: "file",
		multiple: true,
		hidden: true,
		onchange: () => queue([...fileInput.files]),
	});
	const drop = h(
		"div",
		{
			class: "dropzone",
			role: "button",
			tabindex: "0",
			"aria-label": "Upload artifacts: drop files here or press Enter to choose files",
			onclick: () => fileInput.click(),
			onkeydown: (e) => {
				if (e.key === "Enter" || e.key === " ") {
					e.preventDefault();
					fileInput.click();
				}
			},
			ondragover: (e) => {
				e.preventDefault();
				drop.classList.add("over");
			},
			ondragleave: () => drop.classList.remove("over"),
			ondrop: (e) => {
				e.preventDefault();
				drop.classList.remove("over");
				queue([...(e.dataTransfer?.files ?? [])]);
			},
		},
		h("strong", null, "Drop files here"),
		" or click to choose. Each file becomes an artifact of this module.",
		h("br"),
		h("small", null, "Files over 100 MB: npx updraft push (resumable upload)."),
	);

	/** Uploads files one after the other, each with its own progress bar. */
	async function queue(files) {
		fileInput.value = "";
		for (const file of files) {
			const bar = progress(0, file.size, `Upload of ${file.name}`);
			const pct = h("span", { class: "num" }, "0 %");
			const cancel = h("button", { type: "button", class: "btn btn-small" }, "Cancel");
			const slot = h("div", { class: "error-slot" });
			const item = h(
				"li",
				null,
				h("span", null, h("strong", null, file.name), ` · ${formatBytes(file.size)}`),
				pct,
				bar,
				slot,
				cancel,
			);
			uploads.append(item);
			const form = new FormData();
			form.append("file", file, file.name);
			const job = upload(`${base}/artifacts`, form, (loaded, total) => {
				bar.max = total;
				bar.value = loaded;
				pct.textContent = `${Math.floor((loaded / total) * 100)} %`;
			});
			cancel.onclick = () => job.abort();
			try {
				await job.promise;
				bar.value = bar.max;
				pct.textContent = "done";
				cancel.remove();
				toast(`${file.name} uploaded.`);
				setTimeout(() => item.remove(), 3000);
				await renderArtifacts();
			} catch (err) {
				cancel.remove();
				pct.textContent = "failed";
				// A Worker takes at most one request body of ~100 MB (plan dependent); bigger files go
				// through the resumable upload API, which the release CLI drives.
				const shown =
					err instanceof ApiError && err.status === 413
						? {
								message: `${file.name} is larger than one request may be here. Upload it with the resumable upload API: npx updraft push (docs/artifacts-upload.md).`,
							}
						: err;
				replace(slot, errorBox(shown).firstChild);
			}
		}
	}

	async function download(a) {
		// The download needs the Authorization header, so it is fetched and handed over as a blob.
		try {
			const res = await fetch(apiUrl(`${base}/artifacts/${a.id}/download`), {
				headers: { Authorization: authorization() ?? "" },
				credentials: "omit",
			});
			if (!res.ok) {
				throw new ApiError(res.status, await res.json().catch(() => null));
			}
			const url = URL.createObjectURL(await res.blob());
			const link = h("a", { href: url, download: a.providedFilename, hidden: true });
			document.body.append(link);
			link.click();
			link.remove();
			setTimeout(() => URL.revokeObjectURL(url), 10_000);
		} catch (err) {
			showError(pageError, err);
		}
	}

	async function removeArtifact(a) {
		if (
			!(await confirmDialog({
				title: `Delete artifact ${a.providedFilename}?`,
				message: "Devices can no longer download it from this module.",
			}))
		) {
			return;
		}
		try {
			await del(`${base}/artifacts/${a.id}`);
			toast(`${a.providedFilename} deleted.`);
			await renderArtifacts();
		} catch (err) {
			showError(pageError, err);
		}
	}

	async function renderArtifacts() {
		try {
			const list = (await get(`${base}/artifacts`)) ?? [];
			m = await get(base);
			renderProps();
			replace(
				artifactsCard,
				h(
					"div",
					{ class: "card-head" },
					h("h2", { id: "artifacts-h" }, "Artifacts"),
					h("span", { class: "muted" }, `${list.length} file${list.length === 1 ? "" : "s"}`),
				),
				list.length === 0
					? emptyState(
							"No artifacts yet",
							canUpload
								? "Upload the files devices should download."
								: "Nothing has been uploaded to this module.",
						)
					: h(
							"div",
							{ class: "table-wrap" },
							h(
								"table",
								{ class: "table", "aria-label": "Artifacts" },
								h(
									"thead",
									null,
									h(
										"tr",
										null,
										h("th", null, "File"),
										h("th", { class: "num" }, "Size"),
										h("th", null, "Hashes"),
										h("th", null, "Uploaded"),
										h("th", null, ""),
									),
								),
								h(
									"tbody",
									null,
									list.map((a) =>
										h(
											"tr",
											null,
											h("td", null, h("strong", null, a.providedFilename)),
											h("td", { class: "num" }, formatBytes(a.size)),
											h(
												"td",
												null,
												h(
													"dl",
													{ class: "hashes" },
													["sha256", "sha1", "md5"]
														.filter((k) => a.hashes?.[k])
														.map((k) => [h("dt", null, k), h("dd", null, code(a.hashes[k]))]),
												),
											),
											h("td", null, formatTime(a.createdAt)),
											h(
												"td",
												{ class: "num" },
												can("READ_SOFTWARE_MODULE_ARTIFACT")
													? h(
															"button",
															{
																type: "button",
																class: "btn btn-small",
																onclick: () => download(a),
																"aria-label": `Download ${a.providedFilename}`,
															},
															"Download",
														)
													: null,
												" ",
												canUpload && !m.locked
													? h(
															"button",
															{
																type: "button",
																class: "btn btn-small btn-ghost-danger",
																onclick: () => removeArtifact(a),
																"aria-label": `Delete ${a.providedFilename}`,
															},
															"Delete",
														)
													: null,
											),
										),
									),
								),
							),
						),
				canUpload && !m.locked ? [drop, fileInput, uploads] : null,
				canUpload && m.locked
					? h(
							"p",
							{ class: "hint" },
							"This module is locked (it is part of an assigned distribution set), so its artifacts cannot change.",
						)
					: null,
			);
		} catch (err) {
			replace(artifactsCard, h("h2", { id: "artifacts-h" }, "Artifacts"), errorBox(err));
		}
	}

	async function edit() {
		const updated = await formDialog({
			title: `Edit ${m.name}:${m.version}`,
			fields: [
				field("Vendor", input("vendor", { maxlength: 256, value: m.vendor })),
				field("Description", textarea("description", { maxlength: 512, value: m.description })),
			],
			onSubmit: (form) =>
				put(base, {
					vendor: formValue(form, "vendor") ?? "",
					description: formValue(form, "description") ?? "",
				}),
		});
		if (updated) {
			m = updated;
			renderProps();
			toast("Software module updated.");
		}
	}

	async function remove() {
		if (
			!(await confirmDialog({
				title: `Delete ${m.name}:${m.version}?`,
				message: "The module and its artifacts are deleted.",
			}))
		) {
			return;
		}
		try {
			await del(base);
			toast(`${m.name}:${m.version} deleted.`);
			navigate("/softwaremodules");
		} catch (err) {
			showError(pageError, err);
		}
	}

	renderProps();
	await renderArtifacts();
	return h(
		"div",
		null,
		h(
			"div",
			{ class: "crumbs" },
			h("a", { href: href("/softwaremodules") }, "Software modules"),
			" / ",
			`${m.name}:${m.version}`,
		),
		h(
			"div",
			{ class: "page-head" },
			title,
			h(
				"div",
				{ class: "actions" },
				can("UPDATE_SOFTWARE_MODULE")
					? h("button", { type: "button", class: "btn", onclick: () => edit() }, "Edit…")
					: null,
				can("DELETE_SOFTWARE_MODULE")
					? h(
							"button",
							{ type: "button", class: "btn btn-ghost-danger", onclick: () => remove() },
							"Delete…",
						)
					: null,
			),
		),
		pageError,
		artifactsCard,
		h(
			"div",
			{ class: "grid" },
			propsCard,
			metadataCard({ base, canEdit: can("UPDATE_SOFTWARE_MODULE"), targetVisible: true }),
		),
	);
}
