export { backupWorkflow } from './backup'
export { restoreWorkflow } from './restore'
export { drRestoreWorkflow } from './dr'
