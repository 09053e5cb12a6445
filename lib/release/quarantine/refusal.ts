/** A request the controller refuses before changing anything (the CLI exits 3 with the message). */
export class QuarantineRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuarantineRefusal';
  }
}
