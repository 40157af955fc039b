/**
 * Simulated devices for the UI test: plain fetch against the device API (DDI), authenticated with
 * their target token — poll, read the deployment, report the outcome.
 */

export type Outcome = "success" | "failure";

export class Device {
	constructor(
		readonly base: string,
		readonly controllerId: string,
		readonly token: string,
	) {}

	#headers() {
		return { Authorization: `TargetToken ${this.token}`, Accept: "application/json" };
	}

	/** One poll; the deployment link if an update is waiting. */
	async poll(): Promise<string | undefined> {
		const res = await fetch(
			`${this.base}/DEFAULT/controller/v1/${encodeURIComponent(this.controllerId)}`,
			{ headers: this.#headers() },
		);
		if (!res.ok) {
			throw new Error(`${this.controllerId}: poll answered ${res.status}`);
		}
		const body = (await res.json()) as { _links?: { deploymentBase?: { href: string } } };
		return body._links?.deploymentBase?.href;
	}

	/**
	 * Polls; if an update is waiting, reads it and reports it closed with `outcome`.
	 * Resolves to the action id handled, or undefined when nothing was waiting.
	 */
	async update(outcome: Outcome, message = `simulated ${outcome}`): Promise<string | undefined> {
		const link = await this.poll();
		if (!link) {
			return undefined;
		}
		const res = await fetch(link, { headers: this.#headers() });
		if (!res.ok) {
			throw new Error(`${this.controllerId}: deploymentBase answered ${res.status}`);
		}
		const deployment = (await res.json()) as { id: string };
		const feedback = await fetch(`${link.split("?")[0]}/feedback`, {
			method: "POST",
			headers: { ...this.#headers(), "Content-Type": "application/json" },
			body: JSON.stringify({
				id: deployment.id,
				status: { execution: "closed", result: { finished: outcome }, details: [message] },
			}),
		});
		if (!feedback.ok) {
			throw new Error(
				`${this.controllerId}: feedback answered ${feedback.status}: ${await feedback.text()}`,
			);
		}
		return deployment.id;
	}
}
