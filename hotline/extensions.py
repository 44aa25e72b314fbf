"""Flask extensions, created here and bound in create_app."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from hotline.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
